"""Login throttling (django-axes) for the login pages: the staff admin's and the product's."""

from axes.backends import AxesStandaloneBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses logins of a locked-out username from the same address; other backends authenticate.

    Authentication without a request (management commands, the test client's `login`) is no
    login attempt over HTTP, so it is neither counted nor refused here.
    """

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
