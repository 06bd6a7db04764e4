from django.urls import path

from stadtkasse.portal.views import debit

urlpatterns = [
    path("lastschrift/<uuid:reference>/", debit.mandate, name="debit_mandate"),
]
