"""Views of the citizen portal; each module covers one step of the customer journey."""
