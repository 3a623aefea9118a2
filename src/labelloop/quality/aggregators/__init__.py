"""Merging several annotators' answers into one, one family of methods per module, one contract.

Every aggregator takes all its parameters in the constructor, ``fit(ratings)`` returns it, and
``predict()`` gives one ``Decision`` per item (see ``base``). ``AGGREGATORS`` names them all.
``labelloop.quality.merge`` picks one per question and applies it to a whole dataset.
"""

from labelloop.quality.aggregators.base import AGGREGATORS, Aggregator, Decision, rows_by_item
from labelloop.quality.aggregators.dawid_skene import DawidSkeneVote
from labelloop.quality.aggregators.numeric import MeanRating, MedianRating
from labelloop.quality.aggregators.ranking import BordaCount, BradleyTerryVote
from labelloop.quality.aggregators.sets import MultiChoiceVote
from labelloop.quality.aggregators.text import KeepAll, LongestAnswer
from labelloop.quality.aggregators.vote import TIE_BREAKERS, ExpertPriority, MajorityVote, Strict
from labelloop.quality.aggregators.weighted import WeightedMajority

__all__ = [
    "AGGREGATORS", "Aggregator", "Decision", "rows_by_item", "TIE_BREAKERS", "MajorityVote", "Strict",
    "ExpertPriority", "WeightedMajority", "DawidSkeneVote", "MeanRating", "MedianRating", "MultiChoiceVote",
    "BordaCount", "BradleyTerryVote", "KeepAll", "LongestAnswer",
]
