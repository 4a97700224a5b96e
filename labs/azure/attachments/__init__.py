"""Lab: ticket attachments with Azure AI Vision Image Analysis 4.0 (AI-102). See README.md here.

One module per stage: client (connect), features (what to pay for), prepare (check and fix
images before sending), analysis (the SDK's answer as plain data), fields (OCR lines to fields),
classify (what the attachment is), ratelimit (stay inside the TPS quota), analyze (the run:
limiter, retries, durable results), store (SQLite results), evaluate (accuracy, cost), run (CLI).
"""
