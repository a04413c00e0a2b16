"""Understanding citizens' questions: normalisation, training data made from content, the trained model,
calibrated confidence and evaluation."""
