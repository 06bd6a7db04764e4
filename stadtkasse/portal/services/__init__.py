"""Portal services: carts of browser sessions, checkout, payments, access, accounts, mail."""
