from django.urls import include, path

from stadtkasse.portal.views import account, cart, catalog, checkout, legal, orders, payment

app_name = "portal"

urlpatterns = [
    path("", catalog.home, name="home"),
    path("kategorie/<slug:slug>/", catalog.category, name="category"),
    path("suche/", catalog.search, name="search"),
    path("leistung/<slug:slug>/", catalog.product, name="product"),
    path("warenkorb/", cart.cart, name="cart"),
    path("warenkorb/<int:item_id>/menge/", cart.change_quantity, name="cart_quantity"),
    path("warenkorb/<int:item_id>/entfernen/", cart.remove, name="cart_remove"),
    path("bestellen/", checkout.checkout, name="checkout"),
    path(
        "zahlung/benachrichtigung/<slug:provider>/",
        payment.payment_notification,
        name="payment_notification",
    ),
    path("zahlung/<str:reference>/zurueck/", payment.payment_return, name="payment_return"),
    path("bestellung/<str:code>/", orders.order, name="order"),
    path("bestellung/<str:code>/bezahlen/", orders.pay, name="order_pay"),
    path("bestellung/<str:code>/beleg.pdf", orders.receipt, name="receipt"),
    path("konto/registrieren/", account.register, name="register"),
    path("konto/anmelden/", account.log_in, name="login"),
    path("konto/abmelden/", account.log_out, name="logout"),
    path("konto/bestaetigen/<str:token>/", account.confirm_email, name="verify_email"),
    path("konto/bestaetigung-senden/", account.resend_verification, name="resend_verification"),
    path("konto/bestellungen/", account.history, name="history"),
    path("impressum/", legal.legal_page, {"page": "imprint"}, name="imprint"),
    path("datenschutz/", legal.legal_page, {"page": "privacy"}, name="privacy"),
    path("barrierefreiheit/", legal.legal_page, {"page": "accessibility"}, name="accessibility"),
    # Feature URL modules; each feature keeps its own routes.
    path("", include("stadtkasse.portal.urls_transfer")),
    path("", include("stadtkasse.portal.urls_debit")),
    path("", include("stadtkasse.portal.urls_paylink")),
]
