"""Events and calendars: unconferences, BarCamps, surgeries and courses, as iCal feeds people subscribe to."""
