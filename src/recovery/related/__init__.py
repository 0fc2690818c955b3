"""The related papers' science (same layer as core): matrix completion, benign overfitting, model rank."""
