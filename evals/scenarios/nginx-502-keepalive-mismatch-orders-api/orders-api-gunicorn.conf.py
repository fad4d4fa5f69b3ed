# gunicorn configuration for orders-api (deployed with the image, /app/gunicorn.conf.py)
import multiprocessing
import os

bind = "0.0.0.0:8000"
wsgi_app = "orders.wsgi:application"

workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = 8
worker_connections = 1000

# request handling
timeout = 30
graceful_timeout = 30
keepalive = 2
max_requests = 5000
max_requests_jitter = 500

# logging
accesslog = "-"
errorlog = "-"
loglevel = "info"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(L)s'

forwarded_allow_ips = "10.0.0.0/8"
proxy_allow_ips = "10.0.0.0/8"
