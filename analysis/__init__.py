"""Pure statistics for library service-quality surveys.

Plain inputs (DataFrames, arrays, mappings), tidy outputs (DataFrames or frozen result
objects with ``.to_frame()``); no Flask, no database, so everything here works in a
notebook.  Each function's docstring gives its formula and source.

The names below are imported on first use (PEP 562 ``__getattr__``): ``import analysis`` costs
nothing, and ``analysis.cronbach_alpha`` loads only the reliability modules (SciPy), not
statsmodels or the other modules — the command line starts faster (issue 10 §6).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from analysis.accumulator import Accumulator
    from analysis.accumulator import GroupStats
    from analysis.accumulator import accumulate_frame
    from analysis.accumulator import cell_groups
    from analysis.accumulator import merge_groups
    from analysis.accumulator import regroup_cells
    from analysis.bootstrap import BOOTSTRAP_SEED
    from analysis.bootstrap import BootstrapInterval
    from analysis.bootstrap import nok_bootstrap
    from analysis.bootstrap import omega_bootstrap
    from analysis.bootstrap import percentile_interval
    from analysis.combine import INDICATOR_BOUNDS
    from analysis.combine import Combined
    from analysis.combine import estimate_difference
    from analysis.combine import flagged_share
    from analysis.combine import indicator_bounds
    from analysis.combine import se_from_interval
    from analysis.combine import stratified_estimate
    from analysis.distributions import answer_distribution
    from analysis.distributions import hour_weekday_table
    from analysis.distributions import satisfied_flags
    from analysis.estimators import contrast_interval
    from analysis.estimators import distribution_moments
    from analysis.estimators import gap_status
    from analysis.estimators import happy_from_faces
    from analysis.estimators import moments_from_sums
    from analysis.estimators import nps_from_counts
    from analysis.estimators import proportion_interval
    from analysis.estimators import t_interval_parts
    from analysis.factor import MIN_EFA_RESPONDENTS
    from analysis.factor import FactorResult
    from analysis.factor import factor_analysis
    from analysis.factor import factor_analysis_from_corr
    from analysis.funnel import FunnelResult
    from analysis.funnel import funnel_curve
    from analysis.funnel import funnel_means
    from analysis.funnel import funnel_proportions
    from analysis.gap import gap_scores
    from analysis.gap import importance_performance
    from analysis.gap import screen_gap_responses
    from analysis.gap import servqual_scores
    from analysis.indices import acsi_index
    from analysis.indices import describe_dimensions
    from analysis.indices import describe_items
    from analysis.indices import dimension_scores
    from analysis.indices import happy_index
    from analysis.indices import net_promoter_score
    from analysis.indices import share_satisfied
    from analysis.indices import user_satisfaction
    from analysis.nok import NokConfig
    from analysis.nok import PointRule
    from analysis.nok import nok_item_shares
    from analysis.nok import nok_scores
    from analysis.omega import omega_total
    from analysis.omega import omega_total_from_moments
    from analysis.plan import AnalysisPlan
    from analysis.plan import GapSpec
    from analysis.plan import ScaleSpec
    from analysis.plan import ServqualSpec
    from analysis.plan_tables import CELL_TABLES
    from analysis.plan_tables import default_shrink
    from analysis.plan_tables import indicator_table
    from analysis.plan_tables import long_indices
    from analysis.plan_tables import plan_for_indicators
    from analysis.plan_tables import plan_indicators
    from analysis.plan_tables import shrink_indicators
    from analysis.plan_tables import tables_from_rows
    from analysis.plan_tables import tables_from_stats
    from analysis.reasons import Note
    from analysis.reasons import Reason
    from analysis.reasons import StatisticUnavailable
    from analysis.reliability import MIN_PAIR_RESPONDENTS
    from analysis.reliability import MIN_RESPONDENTS
    from analysis.reliability import AlphaBatchResult
    from analysis.reliability import PairwiseMoments
    from analysis.reliability import cronbach_alpha
    from analysis.reliability import cronbach_alpha_batch
    from analysis.reliability import cronbach_alpha_from_moments
    from analysis.reliability import feldt_ci
    from analysis.reliability import kr20
    from analysis.results import AlphaResult
    from analysis.results import ConfidenceInterval
    from analysis.results import OmegaResult
    from analysis.results import SplitHalfResult
    from analysis.screening import ScreeningPolicy
    from analysis.screening import device_bursts
    from analysis.screening import evenodd
    from analysis.screening import irv
    from analysis.screening import longstring
    from analysis.screening import mahalanobis
    from analysis.screening import page_speed
    from analysis.screening import psychsyn
    from analysis.screening import psychsyn_critval
    from analysis.screening import screen_matrix
    from analysis.screening import screen_responses
    from analysis.screening import with_and_without
    from analysis.shrinkage import MeanShrinkage
    from analysis.shrinkage import ProportionShrinkage
    from analysis.shrinkage import group_summary
    from analysis.shrinkage import rank_intervals
    from analysis.shrinkage import shrink_means
    from analysis.shrinkage import shrink_means_from_rows
    from analysis.shrinkage import shrink_proportions
    from analysis.splithalf import split_half
    from analysis.standards import Band
    from analysis.standards import NoVersionInForce
    from analysis.standards import Standard
    from analysis.standards import Target
    from analysis.standards import available_standards
    from analysis.standards import compare_to_standard
    from analysis.standards import indices_table
    from analysis.standards import load_bands
    from analysis.standards import load_standard
    from analysis.trends import ChannelComparison
    from analysis.trends import compare_channels
    from analysis.trends import mean_change
    from analysis.trends import proportion_change

#: public name -> the module defining it
_EXPORTS: dict[str, str] = {
    "Accumulator": "analysis.accumulator",
    "GroupStats": "analysis.accumulator",
    "accumulate_frame": "analysis.accumulator",
    "cell_groups": "analysis.accumulator",
    "merge_groups": "analysis.accumulator",
    "regroup_cells": "analysis.accumulator",
    "contrast_interval": "analysis.estimators",
    "distribution_moments": "analysis.estimators",
    "gap_status": "analysis.estimators",
    "happy_from_faces": "analysis.estimators",
    "moments_from_sums": "analysis.estimators",
    "nps_from_counts": "analysis.estimators",
    "proportion_interval": "analysis.estimators",
    "t_interval_parts": "analysis.estimators",
    "AnalysisPlan": "analysis.plan",
    "GapSpec": "analysis.plan",
    "ScaleSpec": "analysis.plan",
    "ServqualSpec": "analysis.plan",
    "CELL_TABLES": "analysis.plan_tables",
    "indicator_table": "analysis.plan_tables",
    "default_shrink": "analysis.plan_tables",
    "long_indices": "analysis.plan_tables",
    "plan_for_indicators": "analysis.plan_tables",
    "plan_indicators": "analysis.plan_tables",
    "shrink_indicators": "analysis.plan_tables",
    "tables_from_rows": "analysis.plan_tables",
    "tables_from_stats": "analysis.plan_tables",
    "BOOTSTRAP_SEED": "analysis.bootstrap",
    "BootstrapInterval": "analysis.bootstrap",
    "nok_bootstrap": "analysis.bootstrap",
    "omega_bootstrap": "analysis.bootstrap",
    "percentile_interval": "analysis.bootstrap",
    "answer_distribution": "analysis.distributions",
    "hour_weekday_table": "analysis.distributions",
    "satisfied_flags": "analysis.distributions",
    "Note": "analysis.reasons",
    "Reason": "analysis.reasons",
    "StatisticUnavailable": "analysis.reasons",
    "MIN_PAIR_RESPONDENTS": "analysis.reliability",
    "MIN_RESPONDENTS": "analysis.reliability",
    "INDICATOR_BOUNDS": "analysis.combine",
    "Combined": "analysis.combine",
    "estimate_difference": "analysis.combine",
    "flagged_share": "analysis.combine",
    "indicator_bounds": "analysis.combine",
    "se_from_interval": "analysis.combine",
    "stratified_estimate": "analysis.combine",
    "FunnelResult": "analysis.funnel",
    "funnel_curve": "analysis.funnel",
    "funnel_means": "analysis.funnel",
    "funnel_proportions": "analysis.funnel",
    "MIN_EFA_RESPONDENTS": "analysis.factor",
    "FactorResult": "analysis.factor",
    "factor_analysis": "analysis.factor",
    "factor_analysis_from_corr": "analysis.factor",
    "gap_scores": "analysis.gap",
    "importance_performance": "analysis.gap",
    "screen_gap_responses": "analysis.gap",
    "servqual_scores": "analysis.gap",
    "acsi_index": "analysis.indices",
    "describe_dimensions": "analysis.indices",
    "describe_items": "analysis.indices",
    "dimension_scores": "analysis.indices",
    "happy_index": "analysis.indices",
    "net_promoter_score": "analysis.indices",
    "share_satisfied": "analysis.indices",
    "user_satisfaction": "analysis.indices",
    "NokConfig": "analysis.nok",
    "PointRule": "analysis.nok",
    "nok_item_shares": "analysis.nok",
    "nok_scores": "analysis.nok",
    "omega_total": "analysis.omega",
    "omega_total_from_moments": "analysis.omega",
    "AlphaBatchResult": "analysis.reliability",
    "PairwiseMoments": "analysis.reliability",
    "cronbach_alpha": "analysis.reliability",
    "cronbach_alpha_batch": "analysis.reliability",
    "cronbach_alpha_from_moments": "analysis.reliability",
    "feldt_ci": "analysis.reliability",
    "kr20": "analysis.reliability",
    "AlphaResult": "analysis.results",
    "ConfidenceInterval": "analysis.results",
    "OmegaResult": "analysis.results",
    "SplitHalfResult": "analysis.results",
    "ScreeningPolicy": "analysis.screening",
    "device_bursts": "analysis.screening",
    "evenodd": "analysis.screening",
    "irv": "analysis.screening",
    "longstring": "analysis.screening",
    "mahalanobis": "analysis.screening",
    "page_speed": "analysis.screening",
    "psychsyn": "analysis.screening",
    "psychsyn_critval": "analysis.screening",
    "screen_matrix": "analysis.screening",
    "screen_responses": "analysis.screening",
    "with_and_without": "analysis.screening",
    "MeanShrinkage": "analysis.shrinkage",
    "ProportionShrinkage": "analysis.shrinkage",
    "group_summary": "analysis.shrinkage",
    "rank_intervals": "analysis.shrinkage",
    "shrink_means": "analysis.shrinkage",
    "shrink_means_from_rows": "analysis.shrinkage",
    "shrink_proportions": "analysis.shrinkage",
    "split_half": "analysis.splithalf",
    "Band": "analysis.standards",
    "NoVersionInForce": "analysis.standards",
    "Standard": "analysis.standards",
    "Target": "analysis.standards",
    "available_standards": "analysis.standards",
    "compare_to_standard": "analysis.standards",
    "indices_table": "analysis.standards",
    "load_bands": "analysis.standards",
    "load_standard": "analysis.standards",
    "ChannelComparison": "analysis.trends",
    "compare_channels": "analysis.trends",
    "mean_change": "analysis.trends",
    "proportion_change": "analysis.trends",
}


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'analysis' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


__all__ = [
    "MIN_EFA_RESPONDENTS",
    "BOOTSTRAP_SEED",
    "BootstrapInterval",
    "answer_distribution",
    "hour_weekday_table",
    "nok_bootstrap",
    "omega_bootstrap",
    "percentile_interval",
    "satisfied_flags",
    "INDICATOR_BOUNDS",
    "Combined",
    "estimate_difference",
    "flagged_share",
    "indicator_bounds",
    "se_from_interval",
    "stratified_estimate",
    "MIN_PAIR_RESPONDENTS",
    "MIN_RESPONDENTS",
    "Note",
    "Reason",
    "StatisticUnavailable",
    "AlphaBatchResult",
    "AlphaResult",
    "Band",
    "ChannelComparison",
    "ConfidenceInterval",
    "FactorResult",
    "FunnelResult",
    "MeanShrinkage",
    "NoVersionInForce",
    "NokConfig",
    "OmegaResult",
    "PairwiseMoments",
    "PointRule",
    "ProportionShrinkage",
    "ScreeningPolicy",
    "SplitHalfResult",
    "Standard",
    "Target",
    "acsi_index",
    "available_standards",
    "compare_channels",
    "compare_to_standard",
    "cronbach_alpha",
    "cronbach_alpha_batch",
    "cronbach_alpha_from_moments",
    "describe_dimensions",
    "describe_items",
    "device_bursts",
    "dimension_scores",
    "evenodd",
    "factor_analysis",
    "factor_analysis_from_corr",
    "feldt_ci",
    "funnel_curve",
    "funnel_means",
    "funnel_proportions",
    "gap_scores",
    "group_summary",
    "happy_index",
    "importance_performance",
    "indices_table",
    "irv",
    "kr20",
    "load_bands",
    "load_standard",
    "longstring",
    "mahalanobis",
    "mean_change",
    "net_promoter_score",
    "nok_item_shares",
    "nok_scores",
    "omega_total",
    "omega_total_from_moments",
    "page_speed",
    "proportion_change",
    "psychsyn",
    "psychsyn_critval",
    "rank_intervals",
    "screen_gap_responses",
    "screen_matrix",
    "screen_responses",
    "servqual_scores",
    "shrink_means",
    "shrink_means_from_rows",
    "shrink_proportions",
    "share_satisfied",
    "split_half",
    "user_satisfaction",
    "with_and_without",
    "Accumulator",
    "GroupStats",
    "accumulate_frame",
    "cell_groups",
    "merge_groups",
    "regroup_cells",
    "contrast_interval",
    "distribution_moments",
    "gap_status",
    "happy_from_faces",
    "moments_from_sums",
    "nps_from_counts",
    "proportion_interval",
    "t_interval_parts",
    "AnalysisPlan",
    "GapSpec",
    "ScaleSpec",
    "ServqualSpec",
    "CELL_TABLES",
    "indicator_table",
    "default_shrink",
    "long_indices",
    "plan_for_indicators",
    "plan_indicators",
    "shrink_indicators",
    "tables_from_rows",
    "tables_from_stats",
]
