"""Action plans: findings become owned actions with deadlines, updates and history."""
