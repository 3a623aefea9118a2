"""Quality: inter-annotator agreement, merging and adjudication over ``DataSample.annotations``."""

from labelloop.quality.adjudicate import adjudicate, apply_decisions, review_queue, write_queue
from labelloop.quality.aggregators import (
    AGGREGATORS,
    Aggregator,
    BordaCount,
    BradleyTerryVote,
    DawidSkeneVote,
    Decision,
    ExpertPriority,
    KeepAll,
    LongestAnswer,
    MajorityVote,
    MeanRating,
    MedianRating,
    MultiChoiceVote,
    Strict,
    WeightedMajority,
)
from labelloop.quality.agreement import AgreementReport, QuestionAgreement, agreement, question_agreement
from labelloop.quality.alpha import jaccard_distance, krippendorff_alpha, masi_distance
from labelloop.quality.bradley_terry import BradleyTerry, fit_strengths
from labelloop.quality.dawid_skene import DawidSkene
from labelloop.quality.kappa import (
    cohen_kappa,
    cohen_kappa_table,
    fleiss_kappa,
    gwet_ac1,
    pairwise_cohen,
    percent_agreement,
)
from labelloop.quality.merge import ADJUDICATION_STRATEGIES, MERGE_STRATEGIES, merge
from labelloop.quality.ranking import kendall_tau_b, kendall_w
from labelloop.quality.stat import Stat
from labelloop.quality.units import Ratings, collect

__all__ = [
    "AgreementReport", "QuestionAgreement", "agreement", "question_agreement", "krippendorff_alpha",
    "masi_distance", "jaccard_distance", "cohen_kappa", "cohen_kappa_table", "pairwise_cohen", "fleiss_kappa",
    "gwet_ac1", "percent_agreement", "kendall_w", "kendall_tau_b", "Stat", "Ratings", "collect",
    "AGGREGATORS", "Aggregator", "Decision", "MajorityVote", "WeightedMajority", "DawidSkeneVote", "Strict",
    "MeanRating", "MedianRating", "MultiChoiceVote", "BordaCount", "BradleyTerryVote", "KeepAll", "LongestAnswer",
    "ExpertPriority", "DawidSkene", "BradleyTerry", "fit_strengths", "MERGE_STRATEGIES", "ADJUDICATION_STRATEGIES",
    "merge", "adjudicate", "apply_decisions", "review_queue", "write_queue",
]
