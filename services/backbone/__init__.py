"""Inter-agency referral backbone."""
