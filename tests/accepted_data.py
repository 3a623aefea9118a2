"""A dataset the accepted-prediction tests write: two people who answer for themselves, and carol, who accepted
the model's suggestion unchanged on every sample (``metadata["accepted_prediction"]``, as the Label Studio pull
records it); s7 only carol answered."""

from __future__ import annotations

import krippendorff
import numpy as np

from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.templates import TEMPLATES

# preference among candidates "0" and "1" (or tie / both_bad); carol accepted the model's suggestion every time
ALICE = {"s1": "0", "s2": "0", "s3": "1", "s4": "tie", "s5": "0", "s6": "1"}
BOB = {"s1": "0", "s2": "1", "s3": "1", "s4": "0", "s5": "1", "s6": "1"}
MODEL = {"s1": "0", "s2": "0", "s3": "0", "s4": "0", "s5": "0", "s6": "1", "s7": "0"}
CODE = {"0": 0, "1": 1, "tie": 2}
MARK = {"prediction_id": 41, "model_version": "tfidf-1"}


def dataset(*, carol: bool = True) -> Dataset:
    samples = []
    for i, sid in enumerate(MODEL):
        anns = [Annotation(annotator="tfidf", kind="prediction", values={"preference": MODEL[sid]}, score=0.9,
                           model_version="tfidf-1")]
        for name, values in (("alice", ALICE), ("bob", BOB)):
            if sid in values:
                anns.append(Annotation(annotator=name, values={"preference": values[sid]}, lead_time_s=20.0))
        if carol:
            anns.append(Annotation(annotator="carol", values={"preference": MODEL[sid]}, lead_time_s=20.0,
                                   metadata={"accepted_prediction": {**MARK, "prediction_id": 40 + i}}))
        samples.append(DataSample(id=sid, prompt=[Message(role="user", content=f"Q{sid}")],
                                  candidates=[Candidate(id="0", content="a"), Candidate(id="1", content="b")],
                                  annotations=anns))
    return Dataset(name="toy", schema=TEMPLATES.get("rewardbench")(), samples=samples)


def alpha(*people: dict[str, str]) -> float:
    data = np.array([[CODE[p[s]] if s in p else np.nan for s in MODEL] for p in people], dtype=float)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


CAROL = {s: MODEL[s] for s in MODEL}
