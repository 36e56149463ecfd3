"""Champion profiles: who a champion is, their stage and its history. Every champion feature builds on these."""
