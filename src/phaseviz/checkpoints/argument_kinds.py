"""What kind of size a constructor argument stands for, and its candidates.

An argument's name says what kind of size it is (``vocab_size`` is a
vocabulary, ``d_model`` a width, ``num_layers`` a count of blocks), and the
state dict's shapes offer a few values of each kind, most likely first.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from typing import Any

from phaseviz.checkpoints.shapes import ShapeFacts

MAX_CANDIDATES = 6
# Kinds the weights leave no trace of: any value fits, so it is a guess.
GUESSED_KINDS = frozenset({"heads", "dropout"})

_KIND_NAMES = {
    "vocab": "vocabsize vocab nvocab ntoken ntokens numtokens numembeddings "
    "vocablen tokens nembeddings",
    "embed": "embeddim embdim embeddingdim embedsize embeddingsize nembd ninp "
    "dembed embdsize wordembdim",
    "width": "dmodel hiddensize hiddendim hidden width dim modeldim dhidden "
    "hiddenunits nhid nhidden hiddim hiddenchannels basechannels basewidth "
    "numhidden units hiddenfeatures nunits filters numfilters nfilters "
    "outchannels",
    "heads": "nhead nheads numheads numattentionheads heads attentionheads",
    "layers": "numlayers nlayers nlayer depth numhiddenlayers numblocks nblocks "
    "layers nblock numlayer",
    "ff": "dimfeedforward dff ffdim ffndim intermediatesize mlpdim dinner "
    "ninner feedforwarddim dimff ffhidden",
    "maxlen": "maxlen maxseqlen maxlength blocksize contextlength npositions "
    "maxpositionembeddings seqlen nctx contextsize maxseqlength",
    "classes": "numclasses nclasses classes nclass numlabels nlabels numclass",
    "output": "outputdim outdim outfeatures outputsize noutputs numoutputs dout "
    "outsize nout outputfeatures outputs",
    "input": "inputdim indim infeatures inputsize ninputs numinputs din insize "
    "inputfeatures nfeatures numfeatures",
    "channels": "inchannels inputchannels inchans channels nchannels "
    "numchannels inch cin imagechannels",
    "kernel": "kernelsize kernel patchsize ksize",
    "sizes": "hiddensizes hiddendims layersizes sizes widths hiddenlayers dims",
    "bidirectional": "bidirectional",
    "dropout": "dropout droprate dropoutrate pdrop p",
    "bias": "bias usebias",
}
KINDS = {name: kind for kind, names in _KIND_NAMES.items() for name in names.split()}


def norm(name: str) -> str:
    """``name`` lowercased, without underscores or other separators."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def kind_of(name: str) -> str | None:
    """The kind of size an argument name stands for, or None."""
    return KINDS.get(norm(name))


def candidates(parameter: inspect.Parameter, facts: ShapeFacts) -> list[Any]:
    """Values for ``parameter`` that the shapes suggest, most likely first.

    Empty when the name is of no known kind (a required bool gets both
    values).
    """
    kind = kind_of(parameter.name)
    if kind is None:
        is_bool = parameter.annotation in (bool, "bool")
        return [False, True] if is_bool else []
    unique: list[Any] = []
    for value in _CANDIDATES[kind](facts):
        if _usable(value) and value not in unique:
            unique.append(value)
    return unique[:MAX_CANDIDATES]


def _usable(value: Any) -> bool:
    if isinstance(value, list):
        return bool(value)
    return not isinstance(value, int) or isinstance(value, bool) or value > 0


def _widths(facts: ShapeFacts) -> list[int]:
    widths = []
    if facts.recurrent:
        widths.append(facts.recurrent.hidden_size)
    widths += [cols for _, cols in facts.embeddings] + facts.attention
    widths += [conv[0] for conv in facts.convs]
    widths += [dim for out, inp in facts.linears for dim in (out, inp)]
    return widths


def _embed_widths(facts: ShapeFacts) -> list[int]:
    widths = [cols for _, cols in facts.embeddings] + facts.attention
    if facts.recurrent:
        widths.append(facts.recurrent.input_size)
    return widths + _widths(facts)


def _heads(facts: ShapeFacts) -> list[int]:
    base = (facts.attention + _embed_widths(facts) or [1])[0]
    preferred = [base // 64] if base % 64 == 0 else []
    return [h for h in preferred + [8, 4, 2, 1, 16, 12] if base % h == 0]


def _layers(facts: ShapeFacts) -> list[int]:
    counts = [facts.recurrent.num_layers] if facts.recurrent else []
    counts += facts.blocks
    n = len(facts.linears)
    return counts + [n, n - 1, n - 2, n + 1, len(facts.convs)]


def _feedforward(facts: ShapeFacts) -> list[int]:
    width = _embed_widths(facts)[:1]
    return [out for out, inp in facts.linears if inp in width and out not in width]


def _outputs(facts: ShapeFacts) -> list[int]:
    outs = [facts.linears[-1][0]] if facts.linears else []
    outs += [facts.convs[-1][0]] if facts.convs else []
    return outs + ([facts.recurrent.hidden_size] if facts.recurrent else [])


def _inputs(facts: ShapeFacts) -> list[int]:
    ins = [facts.recurrent.input_size] if facts.recurrent else []
    ins += [facts.linears[0][1]] if facts.linears else []
    return ins + [conv[1] for conv in facts.convs[:1]]


def _sizes(facts: ShapeFacts) -> list[list[int]]:
    outs = [out for out, _ in facts.linears]
    first = [facts.linears[0][1]] if facts.linears else []
    return [outs[:-1], first + outs, outs, [conv[0] for conv in facts.convs]]


_CANDIDATES: dict[str, Callable[[ShapeFacts], Iterable[Any]]] = {
    "vocab": lambda f: [rows for rows, _ in f.embeddings] + _outputs(f),
    "embed": _embed_widths,
    "width": _widths,
    "heads": _heads,
    "layers": _layers,
    "ff": _feedforward,
    "maxlen": lambda f: f.positions,
    "classes": _outputs,
    "output": _outputs,
    "input": _inputs,
    "channels": lambda f: [conv[1] for conv in f.convs[:1]],
    "kernel": lambda f: [conv[2] for conv in f.convs[:1]],
    "sizes": _sizes,
    "bidirectional": lambda f: (
        [f.recurrent.bidirectional] if f.recurrent else [False, True]
    ),
    "dropout": lambda f: [0.0],
    "bias": lambda f: [True, False],
}
