from django.urls import path

from stadtkasse.portal.views import transfer

urlpatterns = [
    path("ueberweisung/<uuid:reference>/", transfer.transfer, name="transfer"),
    path("ueberweisung/<uuid:reference>/girocode.png", transfer.girocode, name="transfer_girocode"),
    path(
        "ueberweisung/<uuid:reference>/zahlungsaufforderung.pdf",
        transfer.fee_notice,
        name="transfer_notice",
    ),
]
