"""Test-session set-up shared by pytest and nbval: a fresh results cache, so every test computes for real."""

import os
import tempfile

os.environ["RECOVERY_CACHE_DIR"] = tempfile.mkdtemp(prefix="recovery-test-cache-")
