"""Engine results turned into what the pages draw: traces, walkthrough plans, training steps. No web objects here."""
