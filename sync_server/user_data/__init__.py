"""User data (RF-USR-002): profile and bank accounts."""
