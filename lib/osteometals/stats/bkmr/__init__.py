"""Probit Bayesian kernel machine regression (BKMR) with variable selection.

The model is that of Bobb et al. (2015, Biostatistics 16:493) with the
probit link of Bobb et al. (2018, Environ Health 17:67), as fitted by R
``bkmr::kmbayes(family = "binomial", varsel = TRUE)``:

.. math::

    y_i = 1\\{z^*_i > 0\\}, \\qquad
    z^*_i = h(x_i) + \\beta' c_i + \\varepsilon_i, \\qquad
    \\varepsilon_i \\sim N(0, 1),

with :math:`h \\sim N(0, \\lambda K)` on the observed exposure profiles and
the Gaussian kernel :math:`K(x, x') = \\exp(-\\sum_m r_m (x_m - x'_m)^2)`.
Component-wise selection writes :math:`r_m = \\delta_m \\tilde r_m`.

The package, one job per module:

:mod:`.priors`
    bkmr's default priors and the proposal scales;
:mod:`.data`
    inputs: :func:`mixture_data` (z-scored ln exposures, dummy-coded
    covariates), the profiles where ``h`` is kept (:func:`make_grid`), knots;
:mod:`.simulation`
    data with a known truth, including a small problem with a known bimodal
    posterior;
:mod:`.kernels`
    the linear algebra: exact and predictive-process back ends;
:mod:`.sampler`
    chain state and step methods (one sweep);
:mod:`.tempering`
    parallel tempering: why, the ladder and the swaps;
:mod:`.chains`
    one chain, plain or tempered, from its start to its draws;
:mod:`.starts`
    starting values (dispersed, bkmr's default, small relevances);
:mod:`.fit`
    :func:`fit_bkmr`: chains in parallel, cached by a key of their inputs;
:mod:`.results`
    :class:`BKMRFit`, in the shared results protocol;
:mod:`.summaries`
    bkmr's summaries: single-variable risks and interactions, bivariate sections;
:mod:`.diagnostics`
    R-hat, ESS and MCSE from ArviZ; the multi-start guard rail;
:mod:`.evidence`
    regions, occupancy, their likelihood and prior; the marginal likelihood
    ``p(y | r, delta, lambda)`` by expectation propagation;
:mod:`.masses`
    the posterior mass of each region (importance sampling, with bounds) and
    the posterior it resolves.

Why our own sampler: R bkmr's binomial sampler can stop at the book's sample
size ("H must be positive definite": a dependency checks a determinant that
underflows) and is slow; no maintained Python package fits probit BKMR with
component-wise selection and tempering.
"""

from . import evidence, masses, summaries
from .chains import ChainResult, ChainSpec, Start, run_chain
from .data import (
    DEFAULT_QUANTILES,
    MixtureData,
    PredictionGrid,
    kmeans_knots,
    make_grid,
    mixture_data,
)
from .diagnostics import ess_bulk, ess_tail, mcse, rhat, to_inference_data
from .fit import CACHE_VERSION, DEFAULT_LADDER, SAMPLERS, fit_bkmr, fit_mixture
from .kernels import gaussian_loglik, truncated_normal_latent
from .priors import BKMRPriors, BKMRTuning
from .results import BKMRFit
from .simulation import bimodal, bimodal_masses, simulate
from .starts import DISPERSED_KINDS, STARTS, chain_starts
from .tempering import geometric_ladder

__all__ = [
    "BKMRFit", "BKMRPriors", "BKMRTuning", "CACHE_VERSION", "ChainResult", "ChainSpec",
    "evidence", "masses", "summaries",
    "DEFAULT_LADDER", "DEFAULT_QUANTILES", "DISPERSED_KINDS", "MixtureData", "PredictionGrid",
    "SAMPLERS", "STARTS", "Start", "bimodal", "bimodal_masses", "chain_starts", "ess_bulk",
    "ess_tail", "fit_bkmr", "fit_mixture", "gaussian_loglik", "geometric_ladder",
    "kmeans_knots", "make_grid", "mcse", "mixture_data", "rhat", "run_chain", "simulate",
    "to_inference_data", "truncated_normal_latent",
]
