from .grades import grade_bands, grade_for  # noqa: F401
from .loans import loan_import_csv, loan_import_rows, portfolio_settings  # noqa: F401
