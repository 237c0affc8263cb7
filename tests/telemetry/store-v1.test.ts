import { InfluxV1Store } from '../../telemetry/store/v1.ts';
import { startInflux, type TestInflux } from '../helpers/influx.ts';
import { storeContract } from './store-contract.ts';

// InfluxDB 1.x always runs: the tests start their own influxd on a free port.
storeContract('InfluxDB 1.x (influx package, local influxd)', async () => {
  const influx: TestInflux = await startInflux();
  let n = 0;
  return {
    makeStore: async () => new InfluxV1Store({ url: influx.url, database: `contract_${++n}` }),
    close: () => influx.close(),
  };
});
