use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Handler {
    pool: Arc<Pool>,
}

impl Handler {
    pub fn handle(&self, request: Request) -> Result<Response, Error> {
        let mut conn = self.pool.get(Duration::from_secs(5))?;
        let row = conn.query_one("select 1").unwrap();
        Ok(Response::new(row))
    }
}
