from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models


class Partner(models.Model):
    """A lending partner: a bank, credit union or online lender using Creditbox."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=64, unique=True)
    is_active = models.BooleanField(default=True)
    review_sla_hours = models.PositiveIntegerField(
        default=48, help_text="Hours an underwriter has to decide a referred application."
    )
    override_confirmation_amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal("25000"),
        validators=[MinValueValidator(0)],
        help_text="An override approval above this amount needs a second underwriter.",
    )
    api_requests_per_minute = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="API requests each token of this partner may make per minute; empty: the platform default.",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A person or system. Everyone but platform staff belongs to exactly one partner."""

    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="users")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(partner__isnull=False) | models.Q(is_staff=True),
                name="user_has_partner_unless_staff",
            )
        ]

    def clean(self):
        super().clean()
        if self.partner_id is None and not self.is_staff:
            raise ValidationError({"partner": "Every user except platform staff belongs to a partner."})

    def role_names(self):
        if not hasattr(self, "_role_names"):
            self._role_names = frozenset(self.groups.values_list("name", flat=True))
        return self._role_names

    def has_any_role(self, *roles):
        return bool(self.role_names() & set(roles))
