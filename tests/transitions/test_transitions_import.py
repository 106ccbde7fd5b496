import subprocess
import sys


def test_importing_transitions_loads_neither_torch_nor_a_ui():
    code = (
        "import sys, phaseviz.transitions; "
        "print(sorted(m for m in ('torch', 'textual', 'plotly', 'matplotlib') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"
