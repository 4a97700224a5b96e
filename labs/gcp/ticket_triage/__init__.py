"""Lab: ticket triage with a custom TensorFlow model on Vertex AI (PMLE). Guide: README.md.

One module per stage: data (tf.data, normalisation, vocabulary from train only), baseline
(TF-IDF + logistic regression), model (Keras, preprocessing inside the exported model), trainer
(the entry point a Vertex CustomJob or tuning trial runs), tune (one search space, two tuners),
track (MLflow), classify (predictions from any predictor), deploy (Vertex endpoint), monitor
(drift per window), evaluate (metrics), run (CLI).

TensorFlow is imported inside functions only: `import labs.gcp.ticket_triage.run` stays fast.
"""
