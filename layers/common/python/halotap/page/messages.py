"""Every word the hosted page shows, each a whole message for gettext (`locales/messages.pot` is made from
this file: `python -m scripts.page_messages`).

Each message is a whole sentence or label with named placeholders (`%(merchant)s`), never a sentence
stitched from fragments, so a translator can reorder it. Comments starting "TRANSLATORS:" go into the
catalogs beside their message.
"""

from __future__ import annotations

from collections.abc import Callable

Gettext = Callable[[str], str]

# Halo's SDK error codes a shopper can act on (halo-api-facts.md, "Shoppers and devices"), by the key the
# page and its status JSON use for the advice. Any other code shows the status's own words only.
REASONS = {
    300: "nfcDisabled",
    303: "androidTooOld",
    314: "rootedDevice",
    317: "cancelledInApp",
    318: "tapTimedOut",
    65: "pinRequired",
}


def statuses(_: Gettext) -> dict[str, tuple[str, str]]:
    """What the shopper reads for each state of the page: (heading, line). The page's script gets the same."""
    return {
        "creating": (_("Preparing your payment"), _("This takes a few seconds.")),
        "open": (_("Waiting for your payment"), _("This page updates by itself once you have paid.")),
        "approved": (_("Payment approved"), _("Thank you. You can close this page.")),
        "declined": (
            _("Payment declined"),
            # TRANSLATORS: the last attempt failed; the shopper can start again only from the shop.
            _("The payment did not go through. Go back to the shop to try again."),
        ),
        "retry": (
            _("Payment declined"),
            # TRANSLATORS: a failed attempt, with another attempt allowed: a "Try again" button follows.
            _("The payment did not go through. You can try again with the same card or another one."),
        ),
        "failed": (
            _("Payment failed"),
            _("The payment could not be completed. Please check with the shop."),
        ),
        "cancelled": (_("Payment cancelled"), _("The shop cancelled this payment request.")),
        "expired": (
            _("Payment expired"),
            _("This payment request ran out of time. Go back to the shop to start again."),
        ),
        "voided": (_("Payment voided"), _("This payment was approved and then reversed.")),
        "refunded": (
            # TRANSLATORS: an approved payment whose whole amount the shop has given back.
            _("Refunded"),
            _("This payment was refunded in full."),
        ),
        "unknown": (_("Checking the payment"), _("The status of this payment is being updated.")),
        "timeUp": (
            # TRANSLATORS: the payment request's time ran out while the page was open.
            _("Time is up"),
            _("If you already tapped your card, wait a moment for the result."),
        ),
        "redirecting": (_("Payment approved"), _("Thank you. Taking you back to the shop...")),
    }


def reasons(_: Gettext) -> dict[str, str]:
    """What to do about a failed tap, by REASONS key: shown under the status's own line."""
    return {
        "nfcDisabled": _(
            "NFC is turned off on your phone. Turn on NFC in your phone's settings, then try again."
        ),
        "androidTooOld": _(
            "The Halo app needs Android 10 or later. Update your phone, or pay with another Android phone."
        ),
        # TRANSLATORS: "rooted" is an Android phone whose system protections were removed.
        "rootedDevice": _(
            "The Halo app cannot take payments on a rooted phone. Please pay with another phone."
        ),
        "cancelledInApp": _("The payment was cancelled in the Halo app. If that was a mistake, try again."),
        "tapTimedOut": _(
            "Your card was not tapped in time. Hold your card against the back of your phone when the "
            "Halo app asks for it, then try again."
        ),
        "pinRequired": _(
            "Your card needs its PIN for this payment. Try again, and enter your PIN when the Halo app asks."
        ),
    }


class Words:
    """The page's other words, in one language: `Words(gettext)`. A plain class, not a dataclass: it is
    made on a cold start's first request, where every millisecond shows."""

    def __init__(self, _: Gettext) -> None:
        # TRANSLATORS: the browser tab's title, e.g. "Pay R1 249,50 to Demo Merchant".
        self.title = _("Pay %(amount)s to %(merchant)s")
        # TRANSLATORS: above the amount; %(merchant)s is the shop's name, shown in bold.
        self.payment_to = _("Payment to %(merchant)s")
        # TRANSLATORS: a heading read out by screen readers only.
        self.how_to_pay = _("How to pay")
        self.qr_alt = _("QR code that opens this payment in the Halo app")
        # TRANSLATORS: a button; "Halo" is the payment app's name.
        self.pay_with_halo = _("Pay with Halo")
        self.install_from_play_store = _(
            "If the Halo app is not on this phone yet, install it from the Play Store."
        )
        # TRANSLATORS: a divider on an Android phone, above a QR code for a second phone.
        self.or_with_another_phone = _("or, with another Android phone")
        self.scan_with_the_other_phone = _("Scan this code with the other phone's camera.")
        # TRANSLATORS: shown on an iPhone or iPad, which cannot run the Halo app.
        self.android_only = _(
            "The Halo app runs on Android phones, so this payment cannot be made on an iPhone or iPad."
        )
        self.scan_with_an_android_phone = _(
            "Scan this code with an Android phone's camera to pay in the Halo app."
        )
        self.scan_on_desktop = _(
            "Scan this code with your Android phone's camera to open the Halo app, then tap your card on "
            "the back of your phone."
        )
        # TRANSLATORS: a divider on a computer, above the "Pay with Halo" button.
        self.or_on_an_android_phone = _("or, on an Android phone")
        # TRANSLATORS: a divider between two ways to pay.
        self.or_ = _("or")
        # TRANSLATORS: a link to the shop's own payment page, for shoppers who cannot use the Halo app.
        self.pay_another_way = _("Pay another way")
        # TRANSLATORS: %(time)s is a countdown such as "29:59" (minutes:seconds).
        self.time_left = _("Time left: %(time)s")
        # TRANSLATORS: a button that starts a new attempt at the same payment.
        self.try_again = _("Try again")
        self.back_to_the_shop = _("Back to the shop")
        # TRANSLATORS: "Tap on Own Device" is Halo Dot's product name; "Halo Dot" is the company.
        self.footer = _("Tap on Own Device payments by Halo Dot")
        self.not_found_title = _("Payment link not valid")
        self.not_found_heading = _("This payment link is not valid")
        self.not_found_line = _("Check the link, or go back to the shop and start again.")
        self.unavailable_title = _("Payment unavailable")
        self.unavailable_heading = _("We could not load this payment")
        self.unavailable_line = _("Please refresh this page in a moment.")
