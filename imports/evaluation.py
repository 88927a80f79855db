"""Measured accuracy of the extractor against gold annotation files.

Gold format: see /work/shared/corpus/seed-2021-05-gegharkunik.gold.json ("note").
Scoring, per file and over all files (micro-averaged):

* content spans, overlap: predictions and gold statements are paired one to one,
  greatest character overlap first; a pair counts when the spans overlap at all.
  Predictions paired with an `optional` gold statement are neither rewarded nor
  penalised (left out of precision), and unpaired optional statements do not count
  against recall;
* content spans, exact: the same with identical [start, end);
* speaker and party accuracy over the overlap pairs with non-optional gold statements.
  A speaker is right when the normalised names are equal, when one is the other's
  surname ("Price" for "Ned Price") or when both resolve to the same registry actor;
  a party is right when the slugs are equal.

The figures use offsets into the gold file's own text (the cleaned text is mapped
back), so an independent scorer can check the --predictions-out file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .clean import clean_text
from .extract import Extractor
from .registry import DEFAULT_PATH, Registry, norm


@dataclass
class Counts:
    predicted: int = 0  # predictions that count for precision
    gold: int = 0  # non-optional gold statements
    tp_overlap: int = 0
    tp_exact: int = 0
    speaker_ok: int = 0
    party_ok: int = 0
    matched: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, other: Counts) -> None:
        self.predicted += other.predicted
        self.gold += other.gold
        self.tp_overlap += other.tp_overlap
        self.tp_exact += other.tp_exact
        self.speaker_ok += other.speaker_ok
        self.party_ok += other.party_ok
        self.matched += other.matched

    @staticmethod
    def _prf(tp: int, predicted: int, gold: int) -> tuple[float, float, float]:
        p = tp / predicted if predicted else (1.0 if not gold else 0.0)
        r = tp / gold if gold else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f

    @property
    def overlap(self) -> tuple[float, float, float]:
        return self._prf(self.tp_overlap, self.predicted, self.gold)

    @property
    def exact(self) -> tuple[float, float, float]:
        return self._prf(self.tp_exact, self.predicted, self.gold)

    @property
    def speaker_accuracy(self) -> float:
        return self.speaker_ok / self.matched if self.matched else 0.0

    @property
    def party_accuracy(self) -> float:
        return self.party_ok / self.matched if self.matched else 0.0

    def summary_line(self) -> str:
        return (
            f"content_f1_overlap={self.overlap[2]:.3f} content_f1_exact={self.exact[2]:.3f} "
            f"party_accuracy={self.party_accuracy:.3f} "
            f"speaker_accuracy={self.speaker_accuracy:.3f} statements={self.gold}"
        )

    def detail_lines(self) -> list[str]:
        po, ro, fo = self.overlap
        pe, re_, fe = self.exact
        return [
            f"  overlap  P={po:.3f} R={ro:.3f} F1={fo:.3f}",
            f"  exact    P={pe:.3f} R={re_:.3f} F1={fe:.3f}",
            f"  speaker_accuracy={self.speaker_accuracy:.3f} "
            f"party_accuracy={self.party_accuracy:.3f} "
            f"(matched {self.matched} of {self.gold} gold, {self.predicted} predicted)",
        ]


def registry_for(directory: Path) -> Registry:
    """The shipped registry, plus the gold directory's own registry.json if any."""
    extra = directory / "registry.json"
    return Registry.from_json(DEFAULT_PATH, extra) if extra.exists() else Registry.default()


def speaker_matches(pred: str, gold: str, registry: Registry) -> bool:
    a, b = norm(pred), norm(gold)
    if not a or not b:
        return False
    if a == b:
        return True
    wa, wb = a.split(), b.split()
    if len(wa) == 1 and wb[-1:] == wa or len(wb) == 1 and wa[-1:] == wb:
        return True
    actor_a, actor_b = registry.actor_for(pred), registry.actor_for(gold)
    if actor_a is None and len(wa) == 1:
        actor_a = registry.actor_by_surname(pred)
    if actor_b is None and len(wb) == 1:
        actor_b = registry.actor_by_surname(gold)
    return actor_a is not None and actor_a is actor_b


def score(
    predictions: list[dict[str, Any]], gold: list[dict[str, Any]], registry: Registry
) -> Counts:
    counts = Counts(gold=sum(1 for g in gold if not g.get("optional")))
    pairs: list[tuple[int, int, int]] = []
    for pi, p in enumerate(predictions):
        for gi, g in enumerate(gold):
            ov = min(p["end"], g["end"]) - max(p["start"], g["start"])
            if ov > 0:
                pairs.append((ov, pi, gi))
    pairs.sort(reverse=True)
    used_p: set[int] = set()
    used_g: set[int] = set()
    on_optional = 0
    for _, pi, gi in pairs:
        if pi in used_p or gi in used_g:
            continue
        used_p.add(pi)
        used_g.add(gi)
        p, g = predictions[pi], gold[gi]
        if g.get("optional"):
            on_optional += 1
            continue
        counts.tp_overlap += 1
        counts.matched += 1
        if (p["start"], p["end"]) == (g["start"], g["end"]):
            counts.tp_exact += 1
        if p.get("party", "") == g.get("party"):
            counts.party_ok += 1
        else:
            counts.misses.append(f"party {p.get('party')!r} != {g['party']!r}: {g['content'][:60]}")
        if speaker_matches(p.get("speaker", ""), g.get("speaker", ""), registry):
            counts.speaker_ok += 1
        else:
            counts.misses.append(f"speaker {p.get('speaker')!r} != {g['speaker']!r}")
    counts.predicted = len(predictions) - on_optional
    for gi, g in enumerate(gold):
        if gi not in used_g and not g.get("optional"):
            counts.misses.append(f"missed: {g['content'][:70]}")
    for pi, p in enumerate(predictions):
        if pi not in used_p:
            counts.misses.append(f"spurious: {p.get('text', '')[:70]}")
    return counts


def _predict(
    items: list[tuple[str, date | None]], registry: Registry
) -> list[list[dict[str, Any]]]:
    cleaned = [clean_text(raw) for raw, _ in items]
    extractor = Extractor(registry)
    out = []
    analyses = extractor.analyse_many(
        (c.text, pub) for c, (_, pub) in zip(cleaned, items, strict=True)
    )
    for c, analysis in zip(cleaned, analyses, strict=True):
        preds = []
        for st in analysis.statements:
            start, end = c.to_input(st.start, st.end)
            preds.append(
                {
                    "start": start,
                    "end": end,
                    "speaker": st.speaker,
                    "party": st.party or "other",
                    "kind": st.kind,
                    "text": st.text,
                }
            )
        out.append(preds)
    return out


def evaluate_directory(directory: Path) -> tuple[dict[str, Counts], Counts, dict[str, list]]:
    """Score every *.gold.json in `directory`; returns per-file counts, the total and
    the predictions keyed by gold file name without .gold.json."""
    directory = Path(directory)
    registry = registry_for(directory)
    gold_paths = sorted(directory.glob("*.gold.json"))
    golds = [json.loads(p.read_text(encoding="utf-8")) for p in gold_paths]
    items = [
        (
            (p.parent / g["text_file"]).read_text(encoding="utf-8"),
            date.fromisoformat(g["published"]) if g.get("published") else None,
        )
        for p, g in zip(gold_paths, golds, strict=True)
    ]
    all_preds = _predict(items, registry) if items else []
    per_file: dict[str, Counts] = {}
    total = Counts()
    predictions: dict[str, list] = {}
    for path, gold, preds in zip(gold_paths, golds, all_preds, strict=True):
        name = path.name.removesuffix(".gold.json")
        counts = score(preds, gold["statements"], registry)
        per_file[name] = counts
        total.add(counts)
        predictions[name] = [
            {"start": p["start"], "end": p["end"], "speaker": p["speaker"], "party": p["party"]}
            for p in preds
        ]
    return per_file, total, predictions
