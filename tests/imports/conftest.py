import pytest
from django.core.files.storage import default_storage


@pytest.fixture
def media(settings, tmp_path):
    """A storage folder of the test's own: what a test finds there is its own upload's."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return default_storage


def stored_paths(storage) -> list[str]:
    """Every file under the uploads folder of `storage`."""
    found = []
    try:
        folders, files = storage.listdir("imports")
    except FileNotFoundError:
        return []
    found += [f"imports/{f}" for f in files]
    for folder in folders:
        found += [f"imports/{folder}/{f}" for f in storage.listdir(f"imports/{folder}")[1]]
    return found
