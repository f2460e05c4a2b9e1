"""The inbox's workers: claim stored platform requests, do their work, post the reply, mark them done."""
