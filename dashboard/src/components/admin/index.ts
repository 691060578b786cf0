/** The admin area's screens: one chunk, loaded only by those who open one of them. */
export { AdminScreen } from './AdminScreen.js';
export { PlacesScreen } from './PlacesScreen.js';
export { PatientsScreen } from './PatientsScreen.js';
export { PatientRecordScreen } from './PatientRecordScreen.js';
export { StaffScreen } from './StaffScreen.js';
export { KitsScreen, KitScreen } from './KitsScreen.js';
export { ImportScreen } from './ImportScreen.js';
export { AuditScreen } from './AuditScreen.js';
export { OrganisationsScreen } from './OrganisationsScreen.js';
