"""What joinup says about a message it received but could not handle."""
