"""Lab: support-ticket attachments classified by a small CNN of your own on Vertex AI (PMLE).
Guide: README.md.

One module per stage: data (tf.data: decode and resize, the same function the served model
uses), baseline (logistic regression on hand-made image features), model (a small Keras CNN
with augmentation, exported to take image bytes), trainer (the entry point a Vertex CustomJob
or tuning trial runs), tune (one search space, two tuners), track (MLflow), classify
(predictions from any predictor), deploy (Vertex endpoint, base64 instances, retries), monitor
(drift of image statistics per window), evaluate (metrics), run (CLI).

TensorFlow is imported inside functions only: `import labs.gcp.attachments.run` stays fast.
"""
