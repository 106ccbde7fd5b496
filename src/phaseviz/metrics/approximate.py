"""Cheaper singular values for ``--spectral fast``, with known accuracy.

Two estimates replace the full decomposition of a matrix W (m × n):

- **s_max alone**, when only ``spectral``, ``stable_rank`` and ``flatness``
  are asked for: Golub–Kahan–Lanczos bidiagonalisation from a seeded random
  start vector, with full reorthogonalisation. After k steps the largest
  singular value of the k × k bidiagonal matrix is a lower bound on s_max
  that converges to it; the iteration stops when it changes by less than
  ``LANCZOS_TOLERANCE`` (relative) from one step to the next, or after
  ``LANCZOS_STEPS`` steps. Each step reads W twice, so it costs
  O(k · m · n) instead of the O(m · n · min(m, n)) of a decomposition.
- **the whole spectrum**, for the other spectral metrics: the eigenvalues
  λ of the Gram matrix WᵀW (or WWᵀ, whichever is smaller), always in
  float64, s = √λ. Rounding perturbs each λ by about ε · s_max², so the
  relative error of a singular value s grows like ε · (s_max / s)²: tiny for
  the large ones, large for the smallest of an ill-conditioned matrix. A
  matrix whose estimated condition number exceeds ``GRAM_CONDITION_LIMIT``
  is reported as unresolved, and the caller decomposes it exactly instead.

Both are deterministic: the same matrix gives the same estimate every time.
"""

from __future__ import annotations

import torch
from torch import Tensor

LANCZOS_STEPS = 96
LANCZOS_TOLERANCE = 1e-9
# Up to this s_max / s_min the Gram matrix resolves every singular value to
# about 1e-7 relative in float64; the error grows like ε · condition².
GRAM_CONDITION_LIMIT = 1e5
_SEED = 0x5EED


def largest_singular_values(matrices: Tensor) -> Tensor:
    """s_max of each matrix of a ``(batch, m, n)`` stack, by Lanczos.

    Args:
        matrices: Finite matrices, all of one shape, float32 or float64;
            the estimate is computed in their dtype.

    Returns:
        A ``(batch,)`` tensor of estimates; each is a lower bound on s_max
        up to rounding, and 0 for an all-zero matrix.

    Example:
        >>> w = torch.diag(torch.tensor([3.0, 2.0, 1.0], dtype=torch.float64))
        >>> round(float(largest_singular_values(w.unsqueeze(0))[0]), 9)
        3.0
    """
    batch, rows, columns = matrices.shape
    steps = min(LANCZOS_STEPS, rows, columns)
    dtype, device = matrices.dtype, matrices.device
    tolerance = max(LANCZOS_TOLERANCE, 8 * torch.finfo(matrices.dtype).eps)

    generator = torch.Generator(device=device).manual_seed(_SEED)
    v = torch.randn(batch, columns, generator=generator, dtype=dtype, device=device)
    v = _normalised(v)[0]
    left = torch.zeros(batch, steps, rows, dtype=dtype, device=device)
    right = torch.zeros(batch, steps, columns, dtype=dtype, device=device)
    alphas = torch.zeros(batch, steps, dtype=dtype, device=device)
    betas = torch.zeros(batch, steps, dtype=dtype, device=device)
    u = torch.zeros(batch, rows, dtype=dtype, device=device)
    beta = torch.zeros(batch, dtype=dtype, device=device)
    estimate = torch.zeros(batch, dtype=dtype, device=device)

    for step in range(steps):
        right[:, step] = v
        u = torch.bmm(matrices, v.unsqueeze(2)).squeeze(2) - beta[:, None] * u
        u, alpha = _normalised(_orthogonalised(u, left[:, :step]))
        left[:, step] = u

        w = torch.bmm(u.unsqueeze(1), matrices).squeeze(1) - alpha[:, None] * v
        v, beta = _normalised(_orthogonalised(w, right[:, : step + 1]))
        alphas[:, step], betas[:, step] = alpha, beta

        previous, estimate = estimate, _top_of_bidiagonal(alphas, betas, step + 1)
        change = (estimate - previous).abs()
        if step > 0 and bool((change <= tolerance * estimate).all()):
            break
    return estimate


def gram_singular_values(matrices: Tensor) -> tuple[Tensor, Tensor]:
    """Every singular value of each matrix of a stack, from its Gram matrix.

    Args:
        matrices: Finite matrices, all of one shape.

    Returns:
        ``(values, resolved)``: a ``(batch, r)`` float64 tensor of singular
        values, largest first, and a ``(batch,)`` bool tensor that is False
        where the condition number exceeds ``GRAM_CONDITION_LIMIT`` and the
        smallest values cannot be trusted.

    Example:
        >>> w = torch.diag(torch.tensor([4.0, 1.0], dtype=torch.float64))
        >>> values, resolved = gram_singular_values(w.unsqueeze(0))
        >>> values.tolist(), resolved.tolist()
        ([[4.0, 1.0]], [True])
    """
    wide = matrices.shape[1] < matrices.shape[2]
    exact = matrices.to(torch.float64)
    gram = exact @ exact.mT if wide else exact.mT @ exact
    eigenvalues = torch.linalg.eigvalsh(gram).flip(-1).clamp(min=0)

    largest, smallest = eigenvalues[:, 0], eigenvalues[:, -1]
    resolved = (largest == 0) | (smallest * GRAM_CONDITION_LIMIT**2 >= largest)
    return eigenvalues.sqrt(), resolved


def _normalised(vectors: Tensor) -> tuple[Tensor, Tensor]:
    """Each row scaled to length one (rows of zeros stay zero), and its norm."""
    norms = torch.linalg.vector_norm(vectors, dim=1)
    safe = torch.where(norms > 0, norms, torch.ones_like(norms))
    return vectors / safe[:, None], norms


def _orthogonalised(vectors: Tensor, basis: Tensor) -> Tensor:
    """``vectors`` with their components along the rows of ``basis`` removed.

    Done twice: once leaves rounding-sized components that Lanczos would
    amplify into spurious copies of s_max ("twice is enough").
    """
    if basis.shape[1] == 0:
        return vectors
    for _ in range(2):
        weights = torch.bmm(basis, vectors.unsqueeze(2))
        vectors = vectors - torch.bmm(basis.mT, weights).squeeze(2)
    return vectors


def _top_of_bidiagonal(alphas: Tensor, betas: Tensor, size: int) -> Tensor:
    """The largest singular value of each k × k upper bidiagonal matrix."""
    bidiagonal = torch.diag_embed(alphas[:, :size])
    if size > 1:
        bidiagonal = bidiagonal + torch.diag_embed(betas[:, : size - 1], offset=1)
    return torch.linalg.matrix_norm(bidiagonal, ord=2)
