import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { preloadScreen } from './components/screens.js';
import { currentRoute } from './routing/navigation.js';
import './styles.css';

// The screen's own code downloads while the session is checked, not after.
preloadScreen(currentRoute());

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
