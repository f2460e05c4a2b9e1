"""The inbox: platform requests stored on arrival, claimed under leases, retried, and emptied when done."""
