"""The partner bank, simulated: a separate HTTP process with configurable latency, failures and outages."""
