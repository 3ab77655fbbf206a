"""The Lending Club training data shared by the engineers' machines (not in the repository)."""

from functools import lru_cache
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[3]
LENDING_CLUB = REPO.parent / "shared" / "data" / "lending_club_modeldata.csv"


@lru_cache(maxsize=None)
def lending_club() -> pd.DataFrame:
    assert LENDING_CLUB.exists(), f"the training data is missing: {LENDING_CLUB}"
    return pd.read_csv(LENDING_CLUB)


def lending_club_sample(rows, seed=7) -> pd.DataFrame:
    return lending_club().sample(rows, random_state=seed).reset_index(drop=True)
