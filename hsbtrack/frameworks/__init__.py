"""Pages that show the framework catalogue as the publisher prints it."""
