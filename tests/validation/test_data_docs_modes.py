"""Great Expectations' Data Docs are for others to read: 0644 files in 0755 folders, even
when the validation runs under umask 077 (GX writes under the process umask)."""

from __future__ import annotations

from tests.report.test_file_modes import mode, not_shared, private_umask
from tests.validation.conftest import AddBatch, masters
from tests.validation.test_gx_context import AS_OF
from twin_core.settings import Settings
from twin_core.validation import validate_batch

__all__ = ["private_umask"]


def test_data_docs_are_0644_in_0755_folders(
    private_umask: None, settings: Settings, add_batch: AddBatch
) -> None:
    add_batch("b1", masters())
    result = validate_batch(settings, "b1", as_of=AS_OF)
    assert result.data_docs_path is not None
    docs = result.data_docs_path.parent
    assert any(p.suffix == ".html" for p in docs.rglob("*"))
    assert not_shared(docs) == {}
    assert mode(settings.validation_dir) == 0o755
