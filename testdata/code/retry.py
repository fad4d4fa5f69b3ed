import time
import logging

log = logging.getLogger(__name__)


def call_with_retry(fn, attempts=3, delay=0.5):
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except ConnectionError as error:
            log.warning("attempt %d failed: %s", attempt, error)
            if attempt == attempts:
                raise
            time.sleep(delay * attempt)
        else:
            break
