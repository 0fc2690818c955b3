"""The paper's mathematics: pure, device-agnostic, no files, no plotting."""
