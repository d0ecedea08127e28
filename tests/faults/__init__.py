"""`make faults`: many participants' journeys through the four services as real processes, while
each service, nats-server and PostgreSQL go down in turn and one event is poisoned; then every
effect is counted against what was sent (`python -m tests.faults --journeys N`)."""
