"""KYC (know your customer): identity documents, the admins' queue and decisions."""
