"""Field agents: onboarding producers on their behalf, and account activation by SMS code."""
