"""Evidence, historical replay, calibration and validation checks (`decouple validate`)."""
