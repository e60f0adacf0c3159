"""Development programmes: programmes, cohorts, sessions, bookings with a waiting list,
attendance and completion, feedback and outcomes, credentials, and their impact."""
