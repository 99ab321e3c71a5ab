"""The notifier's background tasks: the delivery worker and the deadline scanner."""
