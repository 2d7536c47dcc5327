"""A stage module whose own import is broken (a missing dependency), unlike a stage not built yet."""

import not_a_real_dependency_of_the_twin  # noqa: F401


def build_reports() -> None:
    """Never reached: the import above fails."""
