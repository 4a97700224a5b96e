"""Lab: ticket triage with Azure OpenAI (AI-102). See README.md in this folder for the guide.

One module per stage: client (connect), prompt (ask and check answers), budget (fit tickets
into the context window), batching (several tickets per request), ratelimit (stay inside the
quota), store (durable results), triage (the async run), evaluate (metrics, cost), run (CLI).
"""
