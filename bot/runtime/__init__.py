"""What runs a live bot: the engine worker, the gate (de-duplication, flood control), the web server."""
