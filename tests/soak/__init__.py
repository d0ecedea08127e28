"""`make soak`: the journey at a steady rate for a set time, with each service's memory and open
connections before and after, errors, and latency per route."""
