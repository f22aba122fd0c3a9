"""Sign-in protection: lockouts after failed sign-ins (django-axes) and their unlocking by the
information centre, the optional or required TOTP second factor (django-otp), and the idle
session timeout. Each writes an audit event."""
